"""The citizen's page for API tokens: create one (shown once), see when each was last used, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jamaa.api import services
from jamaa.api.forms import TokenForm
from jamaa.api.models import ApiToken
from jamaa.api.selectors import token_of, tokens_of
from jamaa.core.models import User
from jamaa.core.permissions import login_required

LISTED_TOKENS = 50


def _own_token(user: User, raw_pk: str | None) -> ApiToken:
    try:
        pk = int(raw_pk or "")
    except ValueError:
        raise Http404 from None
    token = token_of(user, pk)
    if token is None:
        raise Http404
    return token


@login_required
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm()
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = _own_token(user, request.POST.get("token"))
        if services.token_revoke(token=token, actor=user, commune=request.commune,  # type: ignore[attr-defined]
                                 request=request):
            messages.success(request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
        return redirect("api_tokens")
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                created = services.token_create(
                    user=user, name=form.cleaned_data["name"], lifetime=form.lifetime_delta,
                    commune=request.commune, request=request)  # type: ignore[attr-defined]
            except services.TooManyTokens as exc:
                form.add_error(None, str(exc))
            else:
                # The token is in this answer only (never stored): no redirect, and never cached.
                form = TokenForm()
    return render(request, "api/tokens.html", {
        "form": form,
        "created": created[0] if created else None,
        "secret": created[1] if created else "",
        "tokens": list(tokens_of(user)[:LISTED_TOKENS]),
    })
