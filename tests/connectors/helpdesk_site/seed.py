"""Seed a migrated test help desk and print what the tests need, as JSON on stdout.

A staff superuser with a DRF token (the API is staff-only), a non-staff user with a token (refused: exit 4),
two queues and a custom field. Run with the help desk's own Python: `python seed.py` (HELPDESK_SITE_DIR set).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from helpdesk.models import CustomField, Queue  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

ADMIN_EMAIL = "admin@helpdesk.test"
ADMIN_PASSWORD = "pw-admin-2024"

admin = User.objects.create_superuser("admin", ADMIN_EMAIL, ADMIN_PASSWORD, first_name="Ada", last_name="Admin")
customer = User.objects.create_user("carla", "carla@client.test", "pw-carla-2024")
support = Queue.objects.create(title="Soporte Web", slug="soporte-web", email_address="soporte@helpdesk.test")
billing = Queue.objects.create(title="Facturación", slug="facturacion", email_address="facturas@helpdesk.test")
CustomField.objects.create(name="user_code", label="User code", data_type="varchar", max_length=4, required=False)
print(json.dumps({
    "token": Token.objects.create(user=admin).key,
    "customer_token": Token.objects.create(user=customer).key,
    "admin_user": "admin", "admin_email": ADMIN_EMAIL, "admin_password": ADMIN_PASSWORD,
    "queue": support.id, "queue_slug": support.slug, "billing_queue": billing.id,
}))
