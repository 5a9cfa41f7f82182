"""Being written: every view below is replaced by its real implementation."""
from django.http import Http404

def outbox(request, *args, **kwargs):
    raise Http404

