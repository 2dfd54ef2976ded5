// Progressive enhancement only: the form works the same without it. Shows how many
// characters the comment may still take, and brings an error summary into view.
(function () {
  "use strict";
  var comment = document.getElementById("comment");
  var count = document.getElementById("comment-count");
  if (comment && count) {
    var update = function () {
      var left = comment.maxLength - comment.value.length;
      count.textContent = count.dataset.template.replace("{n}", String(left));
    };
    count.hidden = false;
    comment.addEventListener("input", update);
    update();
  }
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
