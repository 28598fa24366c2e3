# One image for web, worker and beat. Build: docker build -t dealer-crm .
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH \
    CRM_MODE=production
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv && useradd --create-home crm
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
COPY --from=assets /app/node_modules node_modules
# The same list as `make` (crm/core/assets.py): vendor files and the icon subset; then translations and the
# fingerprinted, compressed static files. Build-time settings only: the real ones come at run time.
RUN export SECRET_KEY=build-only ALLOWED_HOSTS=build SITE_URL=https://build.invalid SMS_WEBHOOK_SECRET=build-only \
    && python manage.py vendor_assets && rm -rf node_modules \
    && python manage.py compilemessages -v 0 && python manage.py collectstatic --noinput -v 0
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
