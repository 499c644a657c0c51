/** The one place a player sees what went wrong (and what happens next). */
import { h } from './dom';

export class Banner {
  readonly el = h('div', { class: 'error banner', testid: 'error-message', role: 'alert' });
  private actionsEl = h('div', { class: 'actions' });

  constructor(parent: HTMLElement) {
    this.el.hidden = true;
    parent.appendChild(this.el);
  }

  show(text: string, kind: 'error' | 'info' = 'error', actions: { label: string; testid: string; run: () => void }[] = []): void {
    this.el.hidden = false;
    this.el.className = `banner ${kind === 'error' ? 'error' : 'error info'}`;
    this.el.dataset.kind = kind;
    this.actionsEl.replaceChildren(
      ...actions.map((a) => {
        const b = h('button', { type: 'button', testid: a.testid }, a.label);
        b.addEventListener('click', a.run);
        return b;
      }),
    );
    this.el.replaceChildren(h("span", { class: "text" }, text));
    if (actions.length) this.el.append(this.actionsEl);
  }

  clear(): void {
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  get text(): string {
    return this.el.hidden ? '' : (this.el.querySelector('.text')?.textContent ?? '');
  }
}
