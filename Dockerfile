# The monolith (later also the facade and extracted services) runs TypeScript directly on
# Node 24's type stripping: no build step, the same files as in development.
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
USER node
EXPOSE 3001
CMD ["node", "src/main.ts"]
