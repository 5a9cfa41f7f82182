"""Being written: every view below is replaced by its real implementation."""
from django.http import Http404

def signup(request, *args, **kwargs):
    raise Http404


def verify(request, *args, **kwargs):
    raise Http404


def resend_code(request, *args, **kwargs):
    raise Http404


def login(request, *args, **kwargs):
    raise Http404


def logout(request, *args, **kwargs):
    raise Http404


def password_reset(request, *args, **kwargs):
    raise Http404


def password_reset_confirm(request, *args, **kwargs):
    raise Http404


def profile(request, *args, **kwargs):
    raise Http404


def my_data(request, *args, **kwargs):
    raise Http404

