# amaas server image. Build: docker build -t amaas .   Run: see docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# The CPU build of onnxruntime ships inside its npm package (.npmrc skips the CUDA download); for a CUDA
# image build with --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 on a CUDA 12 base image.
ARG ONNXRUNTIME_NODE_INSTALL=skip
ENV ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}
COPY tsconfig.json buf.yaml ./
COPY proto ./proto
COPY src ./src
COPY workers ./workers
COPY tools ./tools
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY package.json ./
COPY examples ./examples
USER node
EXPOSE 50051
# node directly (not npm start) so SIGTERM reaches the server and it drains. Bound to 0.0.0.0, the server needs
# auth: mount a config with auth.tenants_file (docker-compose.yml does, with a demo key) and add
# `--config FILE`, or pass --allow-unauthenticated on purpose; otherwise it refuses to start, saying so.
ENTRYPOINT ["node", "dist/src/cli/amaas.js"]
CMD ["serve", "--model-repository", "/models", "--host", "0.0.0.0", "--port", "50051"]
