// Bundle the widget into the Python package (sam2_jupyter/static, git-ignored).
import * as esbuild from "esbuild";

const outdir = new URL("../sam2_jupyter/static/", import.meta.url).pathname;
await esbuild.build({
  entryPoints: { widget: "src/index.js" },
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  outdir,
});
await esbuild.build({
  entryPoints: { widget: "src/widget.css" },
  bundle: true,
  minify: true,
  outdir,
});
