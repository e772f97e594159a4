# bucketops controller / standalone image. Build: docker build -t ghcr.io/bucketops/bucketops:v0.1.0 .
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY scripts/build-web.js ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# A small young generation: V8's default lets it grow to tens of MiB of garbage (a cold sync of 200,000 keys
# peaked at 339–399 MiB RSS with the default, 184 MiB with this; README Performance). The Deployment adds a heap cap.
ENV NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 1337:1337
EXPOSE 9090
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["controller"]
