# One image for every component (the facade, the monolith, users-service, payments-service):
# TypeScript runs directly on Node 24's type stripping, no build step, the same files as in
# development. `node src/main.ts` runs them all in one process; compose runs one per
# container (`node src/main.ts <component>`).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
# The postinstall step patches postgres.js (patches/, see README "What survives which fault").
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json drizzle.config.ts ./
COPY migrations ./migrations
COPY src ./src
# The services with their own migrations, and the ACL the extract:backfill/verify commands use.
COPY extracted ./extracted
COPY facade ./facade
USER node
EXPOSE 3000 3001 3002 3003
CMD ["node", "src/main.ts"]
