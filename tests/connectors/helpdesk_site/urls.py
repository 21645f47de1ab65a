"""The help desk at the site root (its API at /api/), plus uploaded files, served as a web server would serve them."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
