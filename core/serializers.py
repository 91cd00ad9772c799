"""The ground of every app's API input: StrictSerializer (no unknown fields, text as text, and the
input rules of core.validators on every text and date field it declares) and the fields any app's
serializers share."""

from rest_framework import serializers

from core.validators import (
    FAR_DATES,
    is_bounded,
    refuse_control_characters,
    refuse_control_characters_in_prose,
)

PROSE = {"base_template": "textarea.html"}  # DRF's mark of a multi-line text box
PASSWORD = {"input_type": "password"}


def ProseField(**kwargs):  # noqa: N802 (a field factory, named like the fields it makes)
    """Text of several lines: notes, comments, justifications, evidence."""
    return serializers.CharField(style={**PROSE, **kwargs.pop("style", {})}, **kwargs)


def _guard(field: serializers.Field) -> None:
    """The rules of core.validators on one field: text is one line (prose: lines and tabs)
    without control or format characters; a date at most a year ahead, unless it says less."""
    child = getattr(field, "child", None)
    if isinstance(field, serializers.ListField) and child is not None:
        _guard(child)
    elif isinstance(field, serializers.CharField):
        if field.style.get("input_type") == PASSWORD["input_type"]:
            return  # a password is taken as typed, and never shown
        prose = field.style.get("base_template") == PROSE["base_template"]
        rule = refuse_control_characters_in_prose if prose else refuse_control_characters
        if rule not in field.validators:
            field.validators.append(rule)
    elif isinstance(field, serializers.DateField | serializers.DateTimeField) and not is_bounded(
        field.validators
    ):
        field.validators.append(FAR_DATES)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a client never believes a typo or a read-only field
    (state, level, ...) was saved; and a number or a boolean where text is due (DRF would turn
    `0` into "0"), as the schema says. Every text and date field it declares follows the input
    rules of core.validators (`_guard`)."""

    def get_fields(self):
        fields = super().get_fields()  # copies of the declared fields: this instance's own
        for field in fields.values():
            _guard(field)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not accepted here."] for name in unknown},
                    code="unknown_field",
                )
            not_text = [
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and data.get(name) is not None
                and not isinstance(data[name], str)
            ]
            if not_text:
                raise serializers.ValidationError(
                    {name: ["Send text (a JSON string)."] for name in not_text}, code="invalid"
                )
        return super().to_internal_value(data)


class LookupField(serializers.SlugRelatedField):
    """A slug lookup that refuses NUL bytes itself: PostgreSQL would raise on them (a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
