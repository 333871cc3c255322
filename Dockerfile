# ciam-emulator in a container: the README's install (npm ci = npm install from the lock file, which
# builds dist/), then node runs the emulator directly. Data (database, signing keys, local CA and
# certificate) lives in the /data volume.

FROM node:22-bookworm-slim AS build
# better-sqlite3 and argon2 build native addons when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# npm ci runs the prepare script, which builds dist/ (and the in-process API's types).
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
# No NODE_EXTRA_CA_CERTS here: the CA does not exist before the first start makes it, and Node warns
# about a missing file at every start of a fresh volume. The health check reads the CA itself.
# MALLOC_*: argon2's 19 MiB blocks raise glibc's dynamic mmap threshold, after which freed memory stays
# in per-thread arenas; a fixed threshold and two arenas keep RSS about 100 MiB lower under a long
# mixed load (bench/RESULTS.md, soak). glibc reads them at process start, so they are set here.
ENV NODE_ENV=production \
    CIAM_HOST=0.0.0.0 \
    CIAM_PORT=7443 \
    CIAM_DATA=/data \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 7443
# Health is public (no admin token needed). The probe trusts the emulator's own CA when it exists.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "const fs=require('node:fs'),http=/^(1|true|yes|on)$/i.test(process.env.CIAM_HTTP||''),ca=(process.env.CIAM_CERTS||(process.env.CIAM_DATA||'.ciam-emulator')+'/certs')+'/ca.pem';require(http?'node:http':'node:https').get({host:'127.0.0.1',servername:'localhost',port:process.env.CIAM_PORT||7443,path:'/_emulator/v1/health',...(http?{}:{ca:fs.existsSync(ca)?fs.readFileSync(ca):undefined})},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).setTimeout(2500,()=>process.exit(1))"]
# node itself is PID 1 (not npm, which does not pass SIGTERM on): `docker stop` reaches the
# emulator's own shutdown, which closes the database cleanly. The same command as `npm start`
# (package.json), minus its prestart build, which the build stage already ran.
CMD ["node", "--enable-source-maps", "--max-semi-space-size=8", "dist/main.js"]
