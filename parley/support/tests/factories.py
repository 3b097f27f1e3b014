import factory

from parley.support.models import ContactSubject


class ContactSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactSubject

    text_en = factory.Sequence(lambda n: f"Subject {n}")
    text_tr = factory.Sequence(lambda n: f"Konu {n}")
    is_order_needed = False
    order = factory.Sequence(lambda n: n)
    is_active = True
