// Sandboxed extensions and the flow "Run Script" operation are not available in the embedded conformance target.
class Unavailable {
  constructor() {
    throw new Error('isolated-vm is not available in the directus-conformance embedded target');
  }
}
module.exports = {
  Isolate: Unavailable, Context: Unavailable, Reference: Unavailable, ExternalCopy: Unavailable,
  Callback: Unavailable, Script: Unavailable, Module: Unavailable,
};
module.exports.default = module.exports;
