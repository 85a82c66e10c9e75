/* The API docs page (/api/docs/): Swagger UI on the schema, served from /static/ (no CDN).
   Requests made with "Try it out" carry the session's CSRF token, as the site's forms do. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.SwaggerUIBundle({
    url: node.getAttribute("data-schema-url"),
    domNode: node,
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    requestInterceptor: function (request) {
      var token = csrfToken();
      if (token && request.method && request.method.toUpperCase() !== "GET") {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    },
  });
})();
