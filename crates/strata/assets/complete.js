// Completion of rule-language words in a textarea or input: type a few letters of a function,
// field, event, model, window or keyword; ↑/↓ choose, Enter or Tab insert, Esc closes.
// Usage: strataComplete(element, [{text, kind, detail}, ...]) or strataComplete(element, url),
// which fetches the list (`{items: [...]}`) when the element is first focused.
window.strataComplete = (el, source) => {
  let vocab = Array.isArray(source) ? source : [];
  if (!Array.isArray(source)) {
    el.addEventListener("focus", async () => {
      const res = await fetch(source, { headers: { accept: "application/json" } }).catch(() => null);
      if (res && res.ok) vocab = (await res.json()).items ?? [];
    }, { once: true });
  }
  const box = document.createElement("ul");
  box.className = "completions";
  box.setAttribute("role", "listbox");
  box.hidden = true;
  el.insertAdjacentElement("afterend", box);
  let items = [], active = 0, start = 0, inserting = false;
  const wordChar = /[\p{L}\p{N}_.]/u;
  const wordAt = () => {
    const end = el.selectionStart ?? el.value.length;
    let i = end;
    while (i > 0 && wordChar.test(el.value[i - 1])) i--;
    return [i, el.value.slice(i, end)];
  };
  const place = () => {
    box.style.left = `${el.offsetLeft}px`;
    box.style.top = `${el.offsetTop + el.offsetHeight}px`;
    box.style.minWidth = `${Math.min(el.offsetWidth, 480)}px`;
  };
  const render = () => {
    box.replaceChildren(...items.map((it, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.className = i === active ? "on" : "";
      li.append(Object.assign(document.createElement("code"), { textContent: it.text }));
      if (it.detail || it.kind) li.append(Object.assign(document.createElement("span"), { className: "muted", textContent: ` ${it.detail || it.kind}` }));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); active = i; accept(); });
      return li;
    }));
    box.hidden = items.length === 0;
    if (!box.hidden) place();
  };
  const update = () => {
    if (inserting) return;
    const [s, word] = wordAt();
    start = s;
    const w = word.toLowerCase();
    items = w ? vocab.filter((v) => v.text.toLowerCase().startsWith(w) && v.text !== word).slice(0, 8) : [];
    active = 0;
    render();
  };
  const accept = () => {
    const it = items[active];
    if (!it) return;
    const end = el.selectionStart ?? el.value.length;
    el.value = el.value.slice(0, start) + it.text + el.value.slice(end);
    const at = start + it.text.length;
    el.setSelectionRange(at, at);
    items = [];
    render();
    inserting = true;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    inserting = false;
  };
  el.addEventListener("input", update);
  el.addEventListener("blur", () => { items = []; render(); });
  el.addEventListener("keydown", (e) => {
    if (box.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      render();
    } else if (e.key === "Enter" || e.key === "Tab") {
      accept();
    } else if (e.key === "Escape") {
      items = [];
      render();
    } else {
      return;
    }
    e.preventDefault();
  });
};
