# ciam-emulator in a container: the README's commands (npm ci = npm install from the lock file, npm start).
# Data (database, signing keys, local CA and certificate) lives in the /data volume.

FROM node:22-bookworm-slim AS build
# better-sqlite3 and argon2 build native addons when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# npm ci runs the prepare script, which builds dist/ (and the in-process API's types).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    CIAM_HOST=0.0.0.0 \
    CIAM_PORT=7443 \
    CIAM_DATA=/data \
    NODE_EXTRA_CA_CERTS=/data/certs/ca.pem
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 7443
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch((process.env.CIAM_HTTP ? 'http' : 'https') + '://127.0.0.1:' + process.env.CIAM_PORT + '/_emulator/v1/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["npm", "start"]
