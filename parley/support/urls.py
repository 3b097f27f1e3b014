from parley.core.urls import optional_slash
from parley.support import apis

urlpatterns = [
    *optional_slash(
        "users/contact-us-subjects/", apis.ContactSubjectListApi.as_view(), "contact-us-subjects"
    ),
    *optional_slash("users/contact-us/", apis.ContactUsApi.as_view(), "contact-us"),
]
