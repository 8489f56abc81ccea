// Monaco (GraphiQL 5's editor) runs language services in web workers. The worker
// scripts are built by build.mjs as separate classic-script bundles next to the main
// bundle; their hashed file names are injected at build time through `define`.
/* global __RXLAB_WORKERS__ */
const workers = __RXLAB_WORKERS__;

function workerURL(name) {
  return new URL(workers[name], import.meta.url);
}

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    switch (label) {
      case 'json':
        return new Worker(workerURL('json'));
      case 'graphql':
        return new Worker(workerURL('graphql'));
      default:
        return new Worker(workerURL('editor'));
    }
  },
};
