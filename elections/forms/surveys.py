"""Forms of the issue surveys (问题征集). They only parse input: ``elections.surveys`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.forms.manage import DATETIME, DATETIME_FORMATS
from elections.models import Survey, SurveyQuestion


class SurveyForm(forms.Form):
    asker = forms.ChoiceField(label=_("Asked by"), choices=Survey.Asker.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    intro = forms.CharField(
        label=_("Introduction (shown to owners)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opens_at = forms.DateTimeField(label=_("Open from"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    closes_at = forms.DateTimeField(label=_("Open until"), widget=DATETIME, input_formats=DATETIME_FORMATS)

    def __init__(self, *args, askers=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Survey.Asker.choices)
        self.fields["asker"].choices = [(a, labels[a]) for a in askers]


class SurveyEditForm(SurveyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["asker"]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=SurveyQuestion.Kind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    options = forms.CharField(
        label=_("Options, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For one or several choices; left empty for free text."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)

    def clean_options(self):
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


def answer_form(survey: Survey, homes, data=None) -> forms.Form:
    """The owner's form: which home (if they have several to answer for) and each question."""
    fields: dict[str, forms.Field] = {}
    if len(homes) > 1:
        fields["home"] = forms.ChoiceField(
            label=_("For my home"), choices=[(str(u.pk), u.code) for u in homes], widget=forms.RadioSelect
        )
    for q in survey.questions.all():
        name = f"q{q.pk}"
        choices = [(str(i), label) for i, label in enumerate(q.options)]
        if q.kind == SurveyQuestion.Kind.SINGLE:
            fields[name] = forms.ChoiceField(
                label=q.text, choices=choices, required=q.required, widget=forms.RadioSelect
            )
        elif q.kind == SurveyQuestion.Kind.MULTIPLE:
            fields[name] = forms.MultipleChoiceField(
                label=q.text, choices=choices, required=q.required, widget=forms.CheckboxSelectMultiple
            )
        else:
            fields[name] = forms.CharField(
                label=q.text, required=q.required, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
            )
    form_class = type("SurveyAnswerForm", (forms.Form,), fields)
    return form_class(data)
