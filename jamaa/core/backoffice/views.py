"""Being written: every view below is replaced by its real implementation."""
from django.http import Http404

def dashboard(request, *args, **kwargs):
    raise Http404


def two_factor(request, *args, **kwargs):
    raise Http404


def invitation_accept(request, *args, **kwargs):
    raise Http404


def departments(request, *args, **kwargs):
    raise Http404


def department_create(request, *args, **kwargs):
    raise Http404


def department_edit(request, *args, **kwargs):
    raise Http404


def staff_list(request, *args, **kwargs):
    raise Http404


def staff_invite(request, *args, **kwargs):
    raise Http404


def staff_detail(request, *args, **kwargs):
    raise Http404


def audit_log(request, *args, **kwargs):
    raise Http404



def overview(request, *args, **kwargs):
    raise Http404

