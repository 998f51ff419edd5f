// Folded blocks (sphinx-togglebutton's dropdown admonitions: hints, solutions) are labelled in
// the page's language. Korean pages carry <html lang="ko"> (book/_ext/vl_book.py); the site's
// default labels are English. togglebutton.js declares the labels with `let` and reads them
// when the DOM is loaded: set them now if they are declared, else just before that.
(function () {
  if (document.documentElement.lang !== "ko") return;
  const korean = () => {
    toggleHintShow = "눌러서 보기";
    toggleHintHide = "눌러서 숨기기";
  };
  let declared;
  try {
    declared = typeof toggleHintShow !== "undefined";
  } catch (e) {  // declared by a later script, not yet initialised
    declared = false;
  }
  if (declared) korean();
  else document.addEventListener("DOMContentLoaded", korean);
})();
