# engagebot in production: config mounted read-only at /config, state in the /data volume.
#   docker build -t engagebot .
#   docker run -v $PWD/config:/config:ro -v engagebot-data:/data \
#     -e DISCORD_TOKEN -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN -e ENGAGEBOT_WEB_TOKEN \
#     -p 8080:8080 engagebot
FROM python:3.11-slim

# The config folder is mounted read-only: the database lives in the /data volume.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENGAGEBOT_DATABASE_URL=sqlite:////data/engagebot.db

# Chart fonts: CJK (Droid Sans Fallback) and emoji as outlines (Symbola), about 3 MB.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-droid-fallback fonts-symbola \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 engagebot \
    && mkdir -p /data /config \
    && chown engagebot:engagebot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .

USER engagebot
VOLUME ["/data"]
# The config's web: block serves /healthz (host: 0.0.0.0 and a token to reach the
# dashboard from outside the container; port 8080 unless it says otherwise). The health
# check asks the port the config names; without a web: block there is nothing to ask.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["engagebot", "health", "--config", "/config"]
CMD ["engagebot", "run", "--config", "/config"]
