import gc
import os

from django.core.wsgi import get_wsgi_application

from parley.core.wsgi import measure_chunked_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = measure_chunked_bodies(get_wsgi_application())

# Every request leaves reference cycles behind (Django's and DRF's request, view and response
# point at each other), and they hold the page they served until CPython's full collection,
# which runs only once the objects promoted since the last one reach a quarter of all
# long-lived objects, and the loaded code's objects counted in that quarter: full
# collections came rarely and a worker's RSS grew before levelling off. Frozen, the loaded
# code is left out of the count (and out of every collection's walk), and RSS stays flat
# (figures: docs/PERFORMANCE.md, "Worker memory").
gc.freeze()
