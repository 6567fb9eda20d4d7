// The alert rule editor: list, create, edit, toggle, delete. The form sends what the user
// typed; validation is the server's, and its error is shown beside the field it names
// (e.g. "conditions.groups[0].conditions[1].value: invalid regex …").
import { el } from './format.js';

const TYPES = ['icao', 'callsign', 'squawk', 'altitude', 'speed', 'vertical_rate', 'category',
  'emergency', 'distance', 'geofence', 'registration', 'aircraft_type', 'operator', 'military'];
const BOOLEAN = new Set(['emergency', 'military']);
const NUMERIC = new Set(['altitude', 'speed', 'vertical_rate', 'distance']);
const OPERATORS = {
  text: ['eq', 'neq', 'contains', 'startswith', 'endswith', 'regex'],
  number: ['eq', 'neq', 'lt', 'le', 'gt', 'ge'],
  emergency: ['eq', 'neq'],
  military: ['eq', 'neq'],
  geofence: ['inside', 'entering', 'leaving'],
};
const PLACEHOLDER = {
  altitude: 'ft', speed: 'kt', vertical_rate: 'ft/min', distance: 'NM', squawk: '7700',
  geofence: '{"center": [lat, lon], "radius_nm": 10}', emergency: 'true',
  military: 'true', registration: 'N123AB', aircraft_type: 'C182', operator: 'sheriff',
};

function operatorsFor(type) {
  if (NUMERIC.has(type)) return OPERATORS.number;
  return OPERATORS[type] || OPERATORS.text;
}

export class RuleEditor {
  constructor(conn) {
    this.conn = conn;
    this.list = document.getElementById('rules');
    this.form = document.getElementById('rule-form');
    this.groups = document.getElementById('rule-groups');
    this.error = document.getElementById('rule-error');
    this.editing = null; // rule id, or null for a new rule
    document.getElementById('rule-new').addEventListener('click', () => this.edit(null));
    document.getElementById('rule-cancel').addEventListener('click', () => this.close());
    document.getElementById('rule-add-group').addEventListener('click', () => {
      this.groups.append(this.group({ logic: 'AND', conditions: [{ type: 'callsign', operator: 'startswith', value: '' }] }));
      this.renumber();
    });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
  }

  async load() {
    try {
      const { rules } = await this.conn.request('alert-rules');
      this.list.replaceChildren(...rules.map((r) => this.item(r)));
      if (rules.length === 0) this.list.append(el('li', { class: 'muted' }, 'No rules yet.'));
    } catch (e) {
      this.list.replaceChildren(el('li', { class: 'error', role: 'alert' }, e.message));
    }
  }

  item(r) {
    const status = el('span', { class: 'error', role: 'alert' });
    return el('li', { class: 'rule', 'data-id': r.id },
      el('label', { class: 'check' },
        el('input', {
          type: 'checkbox', checked: r.enabled, 'aria-label': `Enable ${r.name}`,
          onchange: async (e) => {
            try {
              await this.conn.request('alert-rule-toggle', { id: r.id, enabled: e.target.checked });
              status.textContent = '';
            } catch (err) {
              e.target.checked = !e.target.checked;
              status.textContent = err.message;
            }
          },
        }),
        el('span', { class: 'rule-name' }, r.name)),
      el('span', { class: `sev ${r.priority}` }, r.priority),
      el('button', { type: 'button', onclick: () => this.edit(r) }, 'Edit'),
      el('button', {
        type: 'button',
        onclick: async () => {
          if (!window.confirm(`Delete the rule "${r.name}"?`)) return;
          try {
            await this.conn.request('alert-rule-delete', { id: r.id });
            this.load();
          } catch (err) {
            status.textContent = err.message;
          }
        },
      }, 'Delete'),
      status);
  }

  edit(rule) {
    this.editing = rule ? rule.id : null;
    const r = rule || {
      name: '', enabled: true, priority: 'warning', cooldown_s: 300,
      conditions: { logic: 'AND', groups: [{ logic: 'AND', conditions: [{ type: 'callsign', operator: 'startswith', value: '' }] }] },
    };
    document.getElementById('rule-form-title').textContent = rule ? `Edit "${rule.name}"` : 'New rule';
    const f = this.form.elements;
    f.name.value = r.name;
    f.priority.value = r.priority;
    f.cooldown_s.value = r.cooldown_s;
    f.enabled.checked = r.enabled;
    f.logic.value = r.conditions.logic;
    this.groups.replaceChildren(...r.conditions.groups.map((g) => this.group(g)));
    this.renumber();
    this.showError(null);
    this.form.hidden = false;
    f.name.focus();
  }

  close() {
    this.form.hidden = true;
    this.editing = null;
  }

  group(g) {
    const rows = el('div', { class: 'conditions' }, g.conditions.map((c) => this.condition(c)));
    const fs = el('fieldset', { class: 'group' },
      el('legend', {}, 'Group'),
      el('label', {}, 'Conditions combine with ',
        el('select', { class: 'group-logic', 'aria-label': 'Conditions combine with' },
          ['AND', 'OR'].map((l) => el('option', { selected: l === g.logic }, l)))),
      rows,
      el('button', {
        type: 'button',
        onclick: () => {
          rows.append(this.condition({ type: 'altitude', operator: 'lt', value: '' }));
          this.renumber();
        },
      }, 'Add condition'),
      el('button', { type: 'button', onclick: () => { fs.remove(); this.renumber(); } }, 'Remove group'));
    return fs;
  }

  condition(c) {
    const type = el('select', { class: 'c-type', 'aria-label': 'Field' },
      TYPES.map((t) => el('option', { selected: t === c.type }, t)));
    const op = el('select', { class: 'c-op', 'aria-label': 'Operator' });
    const value = el('input', {
      class: 'c-value', 'aria-label': 'Value',
      value: typeof c.value === 'object' ? JSON.stringify(c.value) : String(c.value ?? ''),
    });
    const fillOps = (selected) => {
      op.replaceChildren(...operatorsFor(type.value).map((o) => el('option', { selected: o === selected }, o)));
      value.placeholder = PLACEHOLDER[type.value] || '';
    };
    fillOps(c.operator);
    type.addEventListener('change', () => fillOps(op.value));
    const row = el('div', { class: 'condition' }, type, op, value,
      el('button', { type: 'button', 'aria-label': 'Remove condition', onclick: () => { row.remove(); this.renumber(); } }, '−'));
    return row;
  }

  /// Gives every control the path the server uses in its errors.
  renumber() {
    [...this.groups.children].forEach((g, gi) => {
      g.querySelector('legend').textContent = `Group ${gi + 1}`;
      g.querySelector('.group-logic').dataset.path = `conditions.groups[${gi}].logic`;
      g.querySelector('.conditions').dataset.path = `conditions.groups[${gi}].conditions`;
      [...g.querySelectorAll('.condition')].forEach((row, ci) => {
        const base = `conditions.groups[${gi}].conditions[${ci}]`;
        row.dataset.path = base;
        row.querySelector('.c-type').dataset.path = `${base}.type`;
        row.querySelector('.c-op').dataset.path = `${base}.operator`;
        row.querySelector('.c-value').dataset.path = `${base}.value`;
      });
    });
    this.groups.dataset.path = 'conditions.groups';
  }

  spec() {
    const f = this.form.elements;
    const cooldown = Number(f.cooldown_s.value);
    return {
      name: f.name.value,
      enabled: f.enabled.checked,
      priority: f.priority.value,
      cooldown_s: f.cooldown_s.value === '' || Number.isNaN(cooldown) ? f.cooldown_s.value : cooldown,
      conditions: {
        logic: f.logic.value,
        groups: [...this.groups.children].map((g) => ({
          logic: g.querySelector('.group-logic').value,
          conditions: [...g.querySelectorAll('.condition')].map((row) => {
            const type = row.querySelector('.c-type').value;
            return { type, operator: row.querySelector('.c-op').value, value: parseValue(type, row.querySelector('.c-value').value) };
          }),
        })),
      },
    };
  }

  async save() {
    this.showError(null);
    const spec = this.spec();
    try {
      if (this.editing === null) await this.conn.request('alert-rule-create', spec);
      else await this.conn.request('alert-rule-update', { id: this.editing, ...spec });
      this.close();
      this.load();
    } catch (e) {
      this.showError(e);
    }
  }

  /// Shows the server's message at the top of the form and again beside the field it names.
  showError(err) {
    for (const bad of this.form.querySelectorAll('[aria-invalid]')) bad.removeAttribute('aria-invalid');
    for (const note of this.form.querySelectorAll('.field-error')) note.remove();
    this.error.hidden = !err;
    if (!err) return;
    this.error.textContent = err.message;
    const path = errorPath(err.message);
    let target = null;
    for (let p = path; p && !target; p = parent(p)) target = this.form.querySelector(`[data-path="${CSS.escape(p)}"]`);
    if (!target) return;
    target.setAttribute('aria-invalid', 'true');
    const note = el('span', { class: 'field-error', id: 'rule-field-error' }, err.message.slice(err.message.indexOf(': ') + 2));
    const anchor = target.closest('label') || target;
    anchor.after(note);
    target.setAttribute('aria-describedby', 'rule-field-error');
  }
}

function parseValue(type, text) {
  const t = text.trim();
  if (NUMERIC.has(type) && t !== '' && !Number.isNaN(Number(t))) return Number(t);
  if (BOOLEAN.has(type) && (t === 'true' || t === 'false')) return t === 'true';
  if (type === 'geofence') {
    try {
      return JSON.parse(t);
    } catch {
      return t; // the server says what is wrong with it
    }
  }
  return text;
}

/// "params.conditions.groups[0].conditions[1].value: …" → "conditions.groups[0].conditions[1].value"
function errorPath(message) {
  const i = message.indexOf(': ');
  if (i < 0) return '';
  return message.slice(0, i).replace(/^params\.?/, '');
}

function parent(path) {
  const i = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return i > 0 ? path.slice(0, i) : '';
}
