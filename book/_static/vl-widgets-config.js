// Loaded between require.js and the ipywidgets HTML manager (vendor/html-manager/embed-amd.js).
// The manager loads its icon fonts relative to the URL that require.js gives its module
// "@jupyter-widgets/html-manager/dist/libembed-amd": map that to this build's copy.
require.config({
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL("vendor/html-manager", document.currentScript.src).href,
  },
});
