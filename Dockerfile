FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=yezhu.settings
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY yezhu ./yezhu
COPY grids ./grids
COPY elections ./elections
RUN pip install --no-cache-dir .
COPY . .
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 yezhu && mkdir -p /data/media && chown -R yezhu /data /app
USER yezhu
EXPOSE 8000
CMD ["gunicorn", "yezhu.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--worker-class", "gthread", "--threads", "1"]
