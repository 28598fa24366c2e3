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
COPY --from=assets /app/node_modules/bootstrap/dist/css/bootstrap.min.css /app/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js /app/node_modules/htmx.org/dist/htmx.min.js static/vendor/
COPY --from=assets /app/node_modules/bootstrap-icons/font/bootstrap-icons.min.css static/vendor/icons/
COPY --from=assets /app/node_modules/bootstrap-icons/font/fonts static/vendor/icons/fonts
# Build-time settings only: the real SECRET_KEY and hosts come from the environment at run time.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py compilemessages -v 0 \
    && SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput -v 0
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
