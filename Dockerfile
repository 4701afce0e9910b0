# taskmasterd in a container. Build: docker build -t taskmaster .
# Run:   docker run -d --name tm -p 7878:7878 -v taskmaster:/var/lib/taskmaster \
#          -v "$PWD/config.yaml:/etc/taskmaster/config.yaml:ro" taskmaster
# Control it from inside: docker exec tm tm -c /etc/taskmaster/config.yaml status

FROM node:20-slim AS build
# better-sqlite3 is compiled by npm ci when no prebuilt binary fits
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN chmod +x dist/src/bin/*.js dist/src/bin/*.cjs \
 && ln -s /app/dist/src/bin/taskmasterd.js /usr/local/bin/taskmasterd \
 && ln -s /app/dist/src/bin/tm.cjs /usr/local/bin/tm \
 && mkdir -p /etc/taskmaster /var/lib/taskmaster
COPY examples/container.yaml /etc/taskmaster/config.yaml
# the event log (SQLite), the daemon's log, its pid and token files: kept across containers
VOLUME /var/lib/taskmaster
EXPOSE 7878
# tini is PID 1, named here: it reaps every orphan of the programs and passes docker stop's
# SIGTERM on (every program is stopped, then taskmasterd exits 0). taskmasterd run as PID 1
# would run itself under tini too (src/daemon/pid1.ts), but naming it saves a process and a
# hop for each signal; that re-exec still covers `--entrypoint taskmasterd` and other images.
ENTRYPOINT ["tini", "--", "taskmasterd"]
CMD ["-c", "/etc/taskmaster/config.yaml"]
