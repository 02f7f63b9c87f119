# AI Code Builder backend. Debian bookworm with Node 20, and the sandbox's Python and bubblewrap.
# The sandbox needs user namespaces inside the container: see README, "Running in a container".
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-pandas python3-numpy python3-seccomp bubblewrap \
 && rm -rf /var/lib/apt/lists/*
# The server runs unprivileged; bubblewrap then confines each job in its own user namespace.
RUN useradd --system --create-home --home-dir /home/server --uid 10001 server \
 && mkdir -p /var/lib/ai-code-builder/inbound /var/lib/ai-code-builder/tmp /var/log/ai-code-builder \
 && chown -R server:server /var/lib/ai-code-builder /var/log/ai-code-builder
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
ENV NODE_ENV=production \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    INBOUND_DIR=/var/lib/ai-code-builder/inbound \
    TEMP_DIR=/var/lib/ai-code-builder/tmp \
    LOG_DIR=/var/log/ai-code-builder \
    SANDBOX_ISOLATION=bwrap \
    SANDBOX_PYTHON=/usr/bin/python3
USER server
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:8000/health',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
# SIGTERM drains requests and jobs; compose's stop_grace_period leaves time for it.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
