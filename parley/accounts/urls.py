from parley.accounts import apis
from parley.core.urls import optional_slash

urlpatterns = [
    *optional_slash("csrf_token/", apis.CsrfTokenApi.as_view(), "csrf-token"),
    *optional_slash("users/registration/", apis.RegistrationApi.as_view(), "registration"),
    *optional_slash("users/login/", apis.LoginApi.as_view(), "login"),
    *optional_slash("users/logout/", apis.LogoutApi.as_view(), "logout"),
    *optional_slash("current_user/", apis.CurrentUserApi.as_view(), "current-user"),
]
