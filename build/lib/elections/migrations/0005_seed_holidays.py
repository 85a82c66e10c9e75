"""Seed the holiday calendar (法定节假日与调休) from chinese-calendar for the years it knows, so a
fresh installation counts deadlines right from the start. Staff add later years in the admin
when the State Council publishes them; `manage.py seed_holidays` does the same as this again."""

from django.db import migrations

FIRST_YEAR = 2020  # elections before this are not run in Yezhu


def seed(apps, schema_editor):
    from elections.rules.timeline import seed_rows

    HolidayDay = apps.get_model("elections", "HolidayDay")
    HolidayYear = apps.get_model("elections", "HolidayYear")
    rows = seed_rows(range(FIRST_YEAR, 2100))
    existing = set(HolidayDay.objects.values_list("date", flat=True))
    HolidayDay.objects.bulk_create(
        [HolidayDay(date=day, is_rest_day=rest, name=name[:30]) for day, rest, name in rows if day not in existing]
    )
    known = set(HolidayYear.objects.values_list("year", flat=True))
    HolidayYear.objects.bulk_create(
        [
            HolidayYear(year=year, source="chinese-calendar (国务院办公厅节假日安排通知)")
            for year in sorted({day.year for day, _, _ in rows})
            if year not in known
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("elections", "0004_label_fixes")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
