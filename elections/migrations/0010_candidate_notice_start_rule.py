"""RULES.md §6 as amended: the candidate notice is measured from its start ("选举日的十五日前…公示",
杭州 第26条), not from its end. An election whose rules of procedure overrode the old value keeps its
number of days under the new name (the article it cites is about the same 15 days)."""

from django.db import migrations

OLD, NEW = "candidate_notice_end_days_before_voting", "candidate_notice_start_days_before_voting"


def rename(apps, schema_editor):
    Election = apps.get_model("elections", "Election")
    for election in Election.objects.filter(rule_overrides__has_key=OLD).only("pk", "rule_overrides"):
        rules = dict(election.rule_overrides)
        rules[NEW] = rules.pop(OLD)
        Election.objects.filter(pk=election.pk).update(rule_overrides=rules)


def rename_back(apps, schema_editor):
    Election = apps.get_model("elections", "Election")
    for election in Election.objects.filter(rule_overrides__has_key=NEW).only("pk", "rule_overrides"):
        rules = dict(election.rule_overrides)
        rules[OLD] = rules.pop(NEW)
        Election.objects.filter(pk=election.pk).update(rule_overrides=rules)


class Migration(migrations.Migration):
    dependencies = [("elections", "0009_party_side")]

    operations = [migrations.RunPython(rename, rename_back)]
