# The hub needs no build step: Node 24 runs the TypeScript sources directly.
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data
ENV NODE_ENV=production PORT=8000
EXPOSE 8000
USER node
CMD ["node", "src/main.ts"]
