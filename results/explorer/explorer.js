// The latent explorer of results/index.html: the Fig. 3 scatter of test-set codes on a canvas;
// the pointer's place in the latent plane is decoded, live, by the Fig. 4 run's decoder, run
// here in plain JavaScript from the weights in explorer/data.js (layout: chainer_vae/report/explorer.py).
// Copied beside the page by `make report`; Node loads the same file in the tests (module.exports).
(function (root) {
  "use strict";

  function bytes(b64) {
    var s = atob(b64), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  function float32s(b64) {  // little-endian float32, whatever the machine's byte order
    var b = bytes(b64), view = new DataView(b.buffer), out = new Float32Array(b.length / 4);
    for (var i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  var ACT = {
    tanh: Math.tanh,
    relu: function (x) { return x > 0 ? x : 0; },
    sigmoid: function (x) { return 1 / (1 + Math.exp(-x)); }
  };

  // [{W, b, n_in, n_out, act}] from the exported description; W is n_out rows of n_in values.
  function loadDecoder(spec) {
    var flat = float32s(spec.float32_le_base64), at = 0, layers = [];
    spec.layers.forEach(function (l) {
      var W = flat.subarray(at, at + l.in * l.out); at += l.in * l.out;
      var b = flat.subarray(at, at + l.out); at += l.out;
      layers.push({W: W, b: b, n_in: l.in, n_out: l.out, act: ACT[l.activation]});
    });
    if (at !== flat.length) throw new Error("decoder weights: " + flat.length + " values, layers use " + at);
    return layers;
  }

  // The decoder's Bernoulli means at z (an array of the latent size), as float32: sums run in
  // float64, so the result is the float32 rounding of the exact value.
  function decode(layers, z) {
    var h = Float64Array.from(z);
    layers.forEach(function (l) {
      var out = new Float64Array(l.n_out);
      for (var o = 0; o < l.n_out; o++) {
        var s = l.b[o], row = o * l.n_in;
        for (var i = 0; i < l.n_in; i++) s += l.W[row + i] * h[i];
        out[o] = l.act(s);
      }
      h = out;
    });
    return Float32Array.from(h);
  }

  function loadCodes(spec) {
    return {n: spec.n, mu: float32s(spec.mu_float32_le_base64), labels: bytes(spec.labels_uint8_base64)};
  }

  // matplotlib's tab10, the colours of the Fig. 3 PNG
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  function mount(el, data) {
    var layers = loadDecoder(data.decoder), codes = loadCodes(data.codes);
    var plot = el.querySelector("canvas.latent"), digit = el.querySelector("canvas.digit");
    var readout = el.querySelector(".z"), ctx = plot.getContext("2d"), dctx = digit.getContext("2d");
    var W = plot.width, H = plot.height, R = 0;
    for (var i = 0; i < 2 * codes.n; i++) R = Math.max(R, Math.abs(codes.mu[i]));
    R = Math.ceil(R * 1.05);  // a square plane [-R, R]^2 holding every code
    var toX = function (z) { return (z + R) / (2 * R) * W; };
    var toY = function (z) { return (R - z) / (2 * R) * H; };
    var background = document.createElement("canvas");
    background.width = W; background.height = H;
    var bctx = background.getContext("2d");
    bctx.fillStyle = "#fff"; bctx.fillRect(0, 0, W, H);
    bctx.strokeStyle = "#ccc"; bctx.fillStyle = "#666"; bctx.font = "11px sans-serif";
    for (var t = -R; t <= R; t++) {  // integer grid lines, labelled on the axes
      bctx.beginPath(); bctx.moveTo(toX(t), 0); bctx.lineTo(toX(t), H); bctx.stroke();
      bctx.beginPath(); bctx.moveTo(0, toY(t)); bctx.lineTo(W, toY(t)); bctx.stroke();
      if (t > -R && t < R) { bctx.fillText(String(t), toX(t) + 2, H - 3); bctx.fillText(String(t), 2, toY(t) - 2); }
    }
    for (i = 0; i < codes.n; i++) {
      bctx.fillStyle = COLORS[codes.labels[i] % 10];
      bctx.fillRect(toX(codes.mu[2 * i]) - 1.5, toY(codes.mu[2 * i + 1]) - 1.5, 3, 3);
    }
    var img = dctx.createImageData(data.image_shape[1], data.image_shape[0]);
    var small = document.createElement("canvas");
    small.width = img.width; small.height = img.height;

    var channels = data.image_shape[2] || 1;  // 3: an image folder's colour run, R G B per pixel

    function show(z) {
      var p = decode(layers, z);
      if (channels === 3) {
        for (var q = 0; q < p.length / 3; q++) {  // the colours as decoded
          for (var c = 0; c < 3; c++) img.data[4 * q + c] = Math.round(255 * p[3 * q + c]);
          img.data[4 * q + 3] = 255;
        }
      } else {
        for (var k = 0; k < p.length; k++) {  // black ink on white, as the Fig. 2 PNGs
          var v = Math.round(255 * (1 - p[k]));
          img.data[4 * k] = img.data[4 * k + 1] = img.data[4 * k + 2] = v; img.data[4 * k + 3] = 255;
        }
      }
      small.getContext("2d").putImageData(img, 0, 0);
      dctx.imageSmoothingEnabled = false;
      dctx.drawImage(small, 0, 0, digit.width, digit.height);
      ctx.drawImage(background, 0, 0);
      ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.arc(toX(z[0]), toY(z[1]), 6, 0, 2 * Math.PI); ctx.stroke();
      readout.textContent = "z = (" + z[0].toFixed(2) + ", " + z[1].toFixed(2) + ")";
      el.setAttribute("data-decoded", z.join(","));
    }

    plot.addEventListener("pointermove", function (e) {
      var r = plot.getBoundingClientRect();
      var x = (e.clientX - r.left) / r.width * W, y = (e.clientY - r.top) / r.height * H;
      show([x / W * 2 * R - R, R - y / H * 2 * R]);
    });
    show([0, 0]);
  }

  // Runs on your own image folders: each [data-own-explorer=<folder>] element with the data of
  // explorer/data_<folder>.js (called by the page after those files are loaded).
  function mountOwn() {
    var own = document.querySelectorAll("[data-own-explorer]");
    for (var j = 0; j < own.length; j++) {
      var d = (root.VAE_EXPLORERS || {})[own[j].getAttribute("data-own-explorer")];
      if (d) mount(own[j], d);
    }
  }

  var api = {loadDecoder: loadDecoder, decode: decode, loadCodes: loadCodes, mount: mount, mountOwn: mountOwn};
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
  } else {
    root.vaeExplorer = api;
    var el = document.getElementById("explorer");
    if (el && root.VAE_EXPLORER) mount(el, root.VAE_EXPLORER);
  }
})(this);
