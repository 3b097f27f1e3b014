from modeltranslation.translator import TranslationOptions, register

from parley.support.models import ContactSubject


@register(ContactSubject)
class ContactSubjectTranslationOptions(TranslationOptions):
    fields = ("text",)
