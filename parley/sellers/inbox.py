"""The seller inbox (API.md §7): server-rendered pages for the people who work for a seller.

Every page is a plain Django view and a template; htmx (our own static copy) only boosts the
links and forms and polls for changes, so every flow also works as a plain form post. Writes
go through the same services as the seller API; reads through the sellers' selectors.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import FormParser
from rest_framework.request import Request

from parley.accounts.models import UserType
from parley.conversations import services as conversation_services
from parley.conversations.models import Attachment, WriterType
from parley.core.exceptions import ApplicationError
from parley.core.throttles import LoginAccountThrottle, LoginThrottle
from parley.sellers import selectors, services
from parley.sellers.models import SellerMembership, SellerRole

SESSION_SELLER = "inbox_seller"
PAGE_SIZE = 25
MAX_PAGE = 10_000  # past it, the last page it allows (an OFFSET must stay a small number)
INBOX_PREFIX = "/seller/inbox/"
View = Callable[..., HttpResponse]


# --- Who is working, and for which seller ------------------------------------------------------


def member_required(view: View) -> View:
    """The page needs a logged-in member of the seller chosen in this session: anonymous
    people go to the login page, people who are no member of any (active) seller get 403, a
    member of several sellers who has not picked one goes to the choice. The membership is
    read again on every request (one query), so a removed member is out at once."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("inbox-login"))
        memberships = selectors.membership_list_for_user(request.user)
        if not memberships:
            return render(request, "sellers/inbox/not_member.html", status=403)
        chosen = request.session.get(SESSION_SELLER)
        membership = next((m for m in memberships if m.datasource_id == chosen), None)
        if membership is None:
            if len(memberships) > 1:
                return HttpResponseRedirect(reverse("inbox-choose"))
            membership = memberships[0]
            request.session[SESSION_SELLER] = membership.datasource_id
        return view(request, membership, memberships, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after logging in or choosing: a page of the inbox, nothing else."""
    if (
        candidate
        and candidate.startswith(INBOX_PREFIX)
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return candidate
    return INBOX_PREFIX


class LoginForm(forms.Form):
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Password"), max_length=128, strip=False, widget=forms.PasswordInput
    )


def _throttled(request: HttpRequest) -> float | None:
    """The `login` scope, as the API's login counts it (per address and per account): the
    seconds to wait, or None when the attempt may go ahead."""
    drf_request = Request(request, parsers=[FormParser()])
    for throttle in (LoginThrottle(), LoginAccountThrottle()):
        if not throttle.allow_request(drf_request, None):  # type: ignore[arg-type]
            return throttle.wait() or 60.0
    return None


@require_http_methods(["GET", "POST"])
def inbox_login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        wait = _throttled(request)
        if wait is not None:
            response = render(
                request,
                "sellers/inbox/login.html",
                {"form": form, "next": next_url, "error": _("Too many attempts; wait a minute.")},
                status=429,
            )
            response["Retry-After"] = str(int(wait) + 1)
            return response
        if form.is_valid():
            user = authenticate(
                request,
                username=form.cleaned_data["email"].strip().lower(),
                password=form.cleaned_data["password"],
            )
            # The same answer for a wrong password and for an account that is no member:
            # the page does not tell which addresses have accounts.
            if (
                user is not None
                and getattr(user, "user_type", None) == UserType.REGISTERED
                and selectors.membership_list_for_user(user)
            ):
                # login() gives the session a new key (no fixation) and keeps nothing of a
                # session that belonged to someone else.
                login(request, user, backend="parley.accounts.backends.UserBackend")
                return HttpResponseRedirect(next_url)
        return render(
            request,
            "sellers/inbox/login.html",
            {"form": form, "next": next_url, "error": _("Wrong e-mail or password.")},
            status=400,
        )
    return render(request, "sellers/inbox/login.html", {"form": form, "next": next_url})


@require_POST
def inbox_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("inbox-login"))


@require_http_methods(["GET", "POST"])
def inbox_choose(request: HttpRequest) -> HttpResponse:
    """A member of several sellers picks the one to work as (kept in the session)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("inbox-login"))
    memberships = selectors.membership_list_for_user(request.user)
    if not memberships:
        return render(request, "sellers/inbox/not_member.html", status=403)
    if request.method == "POST":
        wanted = request.POST.get("seller", "")
        chosen = next((m for m in memberships if str(m.datasource_id) == wanted), None)
        if chosen is None:
            return render(
                request,
                "sellers/inbox/choose.html",
                {"memberships": memberships, "error": _("Choose one of your sellers.")},
                status=400,
            )
        request.session[SESSION_SELLER] = chosen.datasource_id
        return HttpResponseRedirect(INBOX_PREFIX)
    return render(request, "sellers/inbox/choose.html", {"memberships": memberships})


# --- The list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxPage:
    """A page of a tab, newer and older pages linked, without counting the tab: a COUNT over a
    busy seller's tens of thousands of conversations cost more than the rest of the page
    (docs/PERFORMANCE.md), and the stats above the list already give the figures that matter.
    One query: the page's rows and one more, which tells whether an older page exists."""

    object_list: list[Any]
    number: int
    has_next: bool

    @classmethod
    def of(cls, queryset: Any, raw_number: str | None) -> "InboxPage":
        number = (
            int(raw_number) if raw_number and raw_number.isascii() and raw_number.isdigit() else 1
        )
        number = min(max(number, 1), MAX_PAGE)
        start = (number - 1) * PAGE_SIZE
        rows = list(queryset[start : start + PAGE_SIZE + 1])
        return cls(object_list=rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _since(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("updated_since", "")
    try:
        value = parse_datetime(raw.replace(" ", "+")) if raw else None
    except ValueError:
        return None
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _stamp(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _fragment_wanted(request: HttpRequest) -> bool:
    """An htmx request for a part of the page (a live refresh), not a boosted navigation."""
    htmx: HtmxDetails = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.boosted


def _unchanged(request: HttpRequest, changed: datetime | None) -> bool:
    """A live refresh that already has everything up to `changed`: 204, nothing to do."""
    since = _since(request)
    return _fragment_wanted(request) and since is not None and (changed is None or changed <= since)


@require_http_methods(["GET"])
@member_required
def inbox_list(
    request: HttpRequest, membership: SellerMembership, memberships: list[SellerMembership]
) -> HttpResponse:
    seller = membership.datasource
    changed = selectors.inbox_changed_since(seller)
    if _unchanged(request, changed):
        return HttpResponse(status=204)
    try:
        tab = selectors.InboxTab(request.GET.get("tab") or selectors.InboxTab.NEEDS_REPLY)
    except ValueError:
        tab = selectors.InboxTab.NEEDS_REPLY
    q = request.GET.get("q", "").strip()[:100]
    conversations = selectors.inbox_conversation_list(seller, tab=tab, q=q)
    page = InboxPage.of(conversations, request.GET.get("page"))
    selectors.inbox_items_attach(page.object_list)
    context = {
        "membership": membership,
        "memberships": memberships,
        "seller": seller,
        "tab": tab.value,
        "tabs": [
            (selectors.InboxTab.NEEDS_REPLY.value, _("Needs reply")),
            (selectors.InboxTab.UNREAD.value, _("Unread")),
            (selectors.InboxTab.ALL.value, _("All")),
            (selectors.InboxTab.ARCHIVED.value, _("Archived")),
        ],
        "q": q,
        "page": page,
        "stats": selectors.seller_stats(seller, now=timezone.now()),
        "stamp": _stamp(changed),
        "refresh_seconds": settings.PARLEY_INBOX_REFRESH_SECONDS,
    }
    if _fragment_wanted(request):
        return render(request, "sellers/inbox/_list.html", context)
    return render(request, "sellers/inbox/list.html", context)


# --- A thread ----------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); checked by the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    message_content = forms.CharField(
        label=gettext_lazy("Your answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = MultipleFileField(label=gettext_lazy("Attach files"), required=False)

    def clean_message_content(self) -> str:
        value: str = self.cleaned_data["message_content"]
        if "\x00" in value:
            raise forms.ValidationError(_("NUL characters are not allowed."))
        return value


def _path_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= 2**63 - 1:
        raise Http404()
    return int(raw)


def _thread_render(
    request: HttpRequest,
    membership: SellerMembership,
    memberships: list[SellerMembership],
    conversation_id: int,
    form: ReplyForm,
    status: int = 200,
) -> HttpResponse:
    seller = membership.datasource
    conversation, thread_messages, item = selectors.inbox_thread_get(seller, conversation_id)
    context = {
        "membership": membership,
        "memberships": memberships,
        "seller": seller,
        "conversation": conversation,
        "item": item,
        "thread_messages": thread_messages,
        "form": form,
        "saved_replies": list(selectors.saved_reply_list(seller)),
        "stamp": _stamp(conversation.modified_date),
        "refresh_seconds": settings.PARLEY_INBOX_REFRESH_SECONDS,
        "from_customer": WriterType.USER.value,
    }
    template = "sellers/inbox/thread.html"
    if _fragment_wanted(request) and request.method == "GET":
        template = "sellers/inbox/_messages.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def inbox_thread(
    request: HttpRequest,
    membership: SellerMembership,
    memberships: list[SellerMembership],
    conversation_id: str,
) -> HttpResponse:
    """GET shows the thread and marks it read for the seller (a person read it); a live
    refresh (htmx, `updated_since`) answers 204 until something changed. POST answers."""
    pk = _path_id(conversation_id)
    seller = membership.datasource
    if request.method == "POST":
        try:
            form = ReplyForm(request.POST, request.FILES)
            form.is_valid()
        except (DrfValidationError, RequestDataTooBig, TooManyFilesSent):
            # A file over the upload limit stops while it streams in (parley.core.uploads).
            form = ReplyForm()
            form.add_error(
                "files",
                _("The file is too large: at most %(limit)s bytes are allowed.")
                % {"limit": settings.PARLEY_MAX_UPLOAD_BYTES},
            )
            return _thread_render(request, membership, memberships, pk, form, status=400)
        if form.is_valid() and _reply_send(seller, pk, form):
            return HttpResponseRedirect(reverse("inbox-thread", args=[pk]), status=303)
        return _thread_render(request, membership, memberships, pk, form, status=400)

    if _fragment_wanted(request):
        modified = selectors.conversation_modified_for_seller(seller, pk)
        if _unchanged(request, modified):
            return HttpResponse(status=204)
    conversation_services.conversation_read(
        party=WriterType.DATASOURCE, owner_id=seller.pk, conversation_id=pk
    )
    initial = {}
    reply_id = request.GET.get("reply", "")
    if reply_id.isdigit():
        saved = selectors.saved_reply_list(seller).filter(pk=int(reply_id)).first()
        if saved is not None:
            initial["message_content"] = saved.body
    return _thread_render(request, membership, memberships, pk, ReplyForm(initial=initial))


def _reply_send(seller: Any, conversation_id: int, form: ReplyForm) -> bool:
    """Upload the reply's files as the seller's and send the reply linking them, in one
    submit. On any refusal the uploads made for it are deleted again and the form says why."""
    uploaded: list[str] = []
    try:
        for upload in form.cleaned_data["attachments"]:
            attachment = conversation_services.attachment_upload(
                upload=upload, datasource_id=seller.pk
            )
            uploaded.append(attachment.public_id)
        services.seller_message_send(
            datasource=seller,
            conversation_id=conversation_id,
            content=form.cleaned_data["message_content"],
            attachments=uploaded,
        )
    except ApplicationError as error:
        conversation_services.attachments_delete(
            attachments=Attachment.objects.filter(public_id__in=uploaded)
        )
        field = "attachments" if error.field in ("file", "attachments") else "message_content"
        form.add_error(field, error.message)
        return False
    return True


@require_POST
@member_required
def inbox_mark_unread(
    request: HttpRequest,
    membership: SellerMembership,
    memberships: list[SellerMembership],
    conversation_id: str,
) -> HttpResponse:
    conversation_services.conversation_unread(
        party=WriterType.DATASOURCE,
        owner_id=membership.datasource_id,
        conversation_id=_path_id(conversation_id),
    )
    return HttpResponseRedirect(INBOX_PREFIX + "?tab=unread", status=303)


@require_POST
@member_required
def inbox_archive(
    request: HttpRequest,
    membership: SellerMembership,
    memberships: list[SellerMembership],
    conversation_id: str,
) -> HttpResponse:
    archived = request.POST.get("archived", "1") != "0"
    pk = _path_id(conversation_id)
    conversation_services.conversation_archive(
        datasource_id=membership.datasource_id, conversation_id=pk, archived=archived
    )
    if archived:
        return HttpResponseRedirect(INBOX_PREFIX, status=303)
    return HttpResponseRedirect(reverse("inbox-thread", args=[pk]), status=303)


# --- Saved replies -----------------------------------------------------------------------------


class SavedReplyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


@require_http_methods(["GET", "POST"])
@member_required
def inbox_replies(
    request: HttpRequest, membership: SellerMembership, memberships: list[SellerMembership]
) -> HttpResponse:
    """Everyone reads the saved replies; owners add and delete them."""
    seller = membership.datasource
    form = SavedReplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if membership.role != SellerRole.OWNER:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.saved_reply_create(datasource=seller, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(error.field or None, error.message)
            else:
                return HttpResponseRedirect(reverse("inbox-replies"), status=303)
        status = 400
    context = {
        "membership": membership,
        "memberships": memberships,
        "seller": seller,
        "replies": list(selectors.saved_reply_list(seller)),
        "form": form,
        "is_owner": membership.role == SellerRole.OWNER,
    }
    return render(request, "sellers/inbox/replies.html", context, status=status)


@require_POST
@member_required
def inbox_reply_delete(
    request: HttpRequest,
    membership: SellerMembership,
    memberships: list[SellerMembership],
    reply_id: str,
) -> HttpResponse:
    if membership.role != SellerRole.OWNER:
        raise PermissionDenied
    services.saved_reply_delete(datasource=membership.datasource, reply_id=_path_id(reply_id))
    return HttpResponseRedirect(reverse("inbox-replies"), status=303)
