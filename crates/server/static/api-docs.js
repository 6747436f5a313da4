// The interactive API page: reads the served OpenAPI document and offers a form per route.
(function () {
  "use strict";
  var tokenInput = document.getElementById("token");
  tokenInput.value = localStorage.getItem("coproof-token") || "";
  tokenInput.addEventListener("change", function () {
    localStorage.setItem("coproof-token", tokenInput.value.trim());
  });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function example(schema, doc, depth) {
    if (!schema || depth > 4) return null;
    if (schema.$ref) {
      var name = schema.$ref.split("/").pop();
      return example(doc.components.schemas[name], doc, depth + 1);
    }
    if (schema.type === "object" || schema.properties) {
      var out = {};
      Object.keys(schema.properties || {}).forEach(function (k) {
        out[k] = example(schema.properties[k], doc, depth + 1);
      });
      return out;
    }
    var t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (t === "array") return [];
    if (t === "boolean") return true;
    if (t === "integer" || t === "number") return 0;
    return "";
  }

  function operation(doc, path, method, op) {
    var params = (op.parameters || []).map(function (p) {
      return el("label", {}, [p.name + " (" + p.in + ") ",
        el("input", { class: "p", "data-in": p.in, "data-name": p.name })]);
    });
    var body = null;
    var content = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    if (content) {
      body = el("textarea", { rows: 6 });
      body.value = JSON.stringify(example(content.schema, doc, 0), null, 2);
    }
    var output = el("pre", {}, []);
    var send = el("button", { type: "button" }, ["Send"]);
    send.addEventListener("click", function () {
      var url = path;
      var query = [];
      params.forEach(function (label) {
        var input = label.querySelector("input");
        var v = input.value;
        if (input.dataset.in === "path") url = url.replace("{" + input.dataset.name + "}", encodeURIComponent(v));
        else if (v !== "") query.push(encodeURIComponent(input.dataset.name) + "=" + encodeURIComponent(v));
      });
      if (query.length) url += "?" + query.join("&");
      var headers = {};
      var token = tokenInput.value.trim();
      if (token) headers["Authorization"] = "Bearer " + token;
      var init = { method: method.toUpperCase(), headers: headers };
      if (body) { headers["Content-Type"] = "application/json"; init.body = body.value; }
      output.textContent = "…";
      fetch(url, init).then(function (r) {
        return r.text().then(function (text) {
          var shown = text;
          try {
            var json = JSON.parse(text);
            if (json && json.token) { tokenInput.value = json.token; localStorage.setItem("coproof-token", json.token); }
            shown = JSON.stringify(json, null, 2);
          } catch (e) { /* not JSON */ }
          output.textContent = r.status + " " + r.statusText + "\n\n" + shown;
        });
      }).catch(function (e) { output.textContent = String(e); });
    });
    var children = [el("summary", {}, [el("span", { class: "m " + method }, [method.toUpperCase()]), path + "  ", op.summary || ""])];
    if (op.description) children.push(el("p", {}, [op.description]));
    children = children.concat(params);
    if (body) children.push(el("label", {}, ["JSON body", body]));
    children.push(send, output);
    return el("details", {}, children);
  }

  fetch("/api/v1/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    var main = document.getElementById("ops");
    main.textContent = "";
    var byTag = {};
    Object.keys(doc.paths).sort().forEach(function (path) {
      var item = doc.paths[path];
      ["get", "post", "patch", "put", "delete"].forEach(function (m) {
        if (!item[m]) return;
        var tag = (item[m].tags || ["other"])[0];
        (byTag[tag] = byTag[tag] || []).push(operation(doc, path, m, item[m]));
      });
    });
    Object.keys(byTag).forEach(function (tag) {
      main.appendChild(el("h2", {}, [tag]));
      byTag[tag].forEach(function (node) { main.appendChild(node); });
    });
  });
})();
