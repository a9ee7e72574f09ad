# mcpo gateway image: Debian slim (uWebSockets.js and @node-rs/argon2 ship glibc binaries, so not Alpine),
# production dependencies only, the admin UI built in, a non-root user that cannot write the app tree, and a health
# check on /healthz. Build: docker build -t mcpo . ; run: see deploy/README.md and deploy/compose.yaml.
# test/e2e/image.test.ts parses this file and runs what its final stage holds: keep to the instructions it knows.

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# tsx (which runs the TypeScript sources) is a production dependency; dev tools, test peers and browsers are not.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-slim
# A container is reached through its published port, so it listens on every interface of its own network.
ENV NODE_ENV=production \
    MCPO_HOST=0.0.0.0 \
    PORT=8080 \
    MCPO_DATA_DIR=/data
WORKDIR /app
# Everything under /app is copied (and built) as root: owned by root, so the image user can read it but never write it.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json mcpo.config.ts ./
COPY admin-ui ./admin-ui
COPY bin ./bin
COPY config ./config
COPY gateway ./gateway
COPY plugins ./plugins
# The admin UI bundle (admin-ui/dist), built now: at run time the gateway finds it current and writes nothing.
RUN node --import tsx admin-ui/build.ts
# The data dir holds the embedded database and key file in single-node mode; the image user owns it, and only it.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# What `npm start` runs, without npm in between: SIGTERM reaches the gateway, which drains and leaves the cluster.
# Run with an init process (compose `init: true`, `docker run --init`) so orphaned grandchildren of stdio servers are reaped.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "gateway/main.ts"]
