import gc
import os

from django.core.wsgi import get_wsgi_application

from parley.core.wsgi import measure_chunked_bodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = measure_chunked_bodies(get_wsgi_application())

# Every request leaves reference cycles behind (Django's and DRF's request, view and response
# point at each other), and they hold the page they served until CPython's full collection,
# which runs only once the objects promoted since the last one reach a quarter of all
# long-lived objects. The ~110,000 objects of the loaded code counted in that quarter, so the
# full collection came about every 1,500 requests and a worker's RSS grew by ~12 MiB before
# levelling off. Frozen, the loaded code is left out of the count (and out of every
# collection's walk): full collections come every few hundred requests and RSS stays flat.
gc.freeze()
