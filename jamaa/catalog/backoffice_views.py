"""Back office of the catalogue (commune administrators): adopt procedures from the national catalogue, set the
commune's deadline, fees, department and instructions, unpublish and republish."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jamaa.catalog import selectors, services
from jamaa.catalog.forms import AdoptionForm
from jamaa.core.models import Role
from jamaa.core.permissions import staff_required

GET_POST = require_http_methods(["GET", "POST"])


def _add_errors(form: AdoptionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@staff_required(Role.ADMIN)
def index(request: HttpRequest) -> HttpResponse:
    commune = request.commune  # type: ignore[attr-defined]
    return render(request, "catalog/admin_index.html", {
        "adoptions": selectors.admin_adoptions(commune),
        "adoptable": selectors.procedures_not_adopted(commune),
    })


@staff_required(Role.ADMIN)
@GET_POST
def adopt(request: HttpRequest, slug: str) -> HttpResponse:
    commune = request.commune  # type: ignore[attr-defined]
    procedure = selectors.get_catalogue_procedure(slug)
    existing = selectors.find_adoption(commune, procedure)
    if existing is not None:
        # A second tab or a form submitted twice: one adoption, and the administrator lands on it.
        if request.method == "POST":
            messages.warning(request, _("This commune had already adopted this procedure: nothing was added. Its "
                                        "settings are shown here."))
        else:
            messages.info(request, _("This commune has already adopted this procedure: change its settings here."))
        return redirect("procedures_admin:edit", pk=existing.pk)

    form = AdoptionForm(request.POST if request.method == "POST" else None, commune=commune, procedure=procedure)
    if request.method == "POST" and form.is_valid():
        try:
            adoption = services.procedure_adopt(
                commune=commune, actor=request.user, procedure=procedure,  # type: ignore[arg-type]
                request=request, **form.values(),
            )
        except services.AlreadyAdopted as error:
            messages.warning(request, " ".join(error.messages))
            return redirect("procedures_admin:edit", pk=error.adoption.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if adoption.is_published:
                messages.success(request, _("%(name)s is adopted and published on the commune's site.")
                                 % {"name": procedure.name})
            else:
                messages.success(request, _("%(name)s is adopted. It is not published yet: citizens do not see it.")
                                 % {"name": procedure.name})
            return redirect("procedures_admin:index")
    return render(request, "catalog/admin_form.html", {"form": form, "procedure": procedure, "adoption": None})


@staff_required(Role.ADMIN)
@GET_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    commune = request.commune  # type: ignore[attr-defined]
    adoption = selectors.get_adoption(commune, pk)
    procedure = adoption.procedure
    form = AdoptionForm(request.POST if request.method == "POST" else None, commune=commune, procedure=procedure,
                        adoption=adoption)
    if request.method == "POST" and form.is_valid():
        try:
            services.adoption_update(adoption=adoption, actor=request.user,  # type: ignore[arg-type]
                                     request=request, **form.values())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The settings of %(name)s were saved.") % {"name": procedure.name})
            return redirect("procedures_admin:index")
    return render(request, "catalog/admin_form.html", {"form": form, "procedure": procedure, "adoption": adoption})


@staff_required(Role.ADMIN)
@require_POST
def publication(request: HttpRequest, pk: int) -> HttpResponse:
    adoption = selectors.get_adoption(request.commune, pk)  # type: ignore[attr-defined]
    name = adoption.procedure.name
    if request.POST.get("published") == "1":
        services.adoption_republish(adoption=adoption, actor=request.user, request=request)  # type: ignore[arg-type]
        messages.success(request, _("%(name)s is published again on the commune's site.") % {"name": name})
    else:
        services.adoption_unpublish(adoption=adoption, actor=request.user, request=request)  # type: ignore[arg-type]
        messages.success(request, _("%(name)s no longer appears on the commune's site. Requests already filed go "
                                    "on.") % {"name": name})
    return redirect("procedures_admin:index")
