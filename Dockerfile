# The console image: gunicorn for the web, the same image runs the Celery worker and beat (docker-compose.yml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=works_console.settings
# gettext compiles the translations; pango, HarfBuzz's subsetter and the Noto CJK fonts render the billing
# documents' PDFs (WeasyPrint) in English, Japanese and Korean.
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install --no-cache-dir --no-deps -e . \
    && python manage.py compilemessages --ignore=node_modules \
    && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "works_console.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
