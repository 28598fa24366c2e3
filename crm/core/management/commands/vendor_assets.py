"""Copy the front-end files from node_modules into static/vendor and cut the icon font to the icons used."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.core import assets


class Command(BaseCommand):
    help = "Build static/vendor from node_modules (one list for make and the Dockerfile)."

    def add_arguments(self, parser):
        parser.add_argument("--node-modules", default=str(Path(settings.BASE_DIR) / "node_modules"))
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "static" / "vendor"))

    def handle(self, *args, node_modules, out, **options):
        built = assets.build(root=Path(settings.BASE_DIR), node_modules=Path(node_modules), out=Path(out))
        self.stdout.write(f"static/vendor built: {built['icons']} icons, icon font {built['font_bytes']} bytes")
