/*
 * Pact's status icons drawn as inline SVG, so they look the same whatever fonts the CRM's frame has (a clock glyph
 * rendered as an empty box in Bitrix24's tab): clock = queued in Pact, one blue tick = delivered, two blue ticks =
 * read, a red circle with "!" = error (its reason beside it).
 */
var NS = 'http://www.w3.org/2000/svg';
var STROKE = { fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' };

var SHAPES = {
  clock: [['circle', Object.assign({ cx: '8', cy: '8', r: '6.2' }, STROKE)], ['path', Object.assign({ d: 'M8 4.6V8l2.4 1.6' }, STROKE)]],
  'one tick': [['path', Object.assign({ d: 'M2.5 8.6l3.2 3.1L13.5 4' }, STROKE)]],
  'two ticks': [['path', Object.assign({ d: 'M0.8 8.6l3.2 3.1L11.8 4' }, STROKE)],
    ['path', Object.assign({ d: 'M7.2 10.3l1.5 1.4L16.4 4' }, STROKE)]],
  error: [['circle', { cx: '8', cy: '8', r: '7', fill: 'currentColor' }],
    ['path', { d: 'M8 4v5', stroke: '#fff', 'stroke-width': '1.8', 'stroke-linecap': 'round' }],
    ['circle', { cx: '8', cy: '11.6', r: '1', fill: '#fff' }]]
};

/** The icon's SVG (18×16 px, aria-hidden: the element around it carries the words). */
export function statusSvg(icon) {
  var shapes = SHAPES[icon];
  if (!shapes) {
    return null;
  }
  var svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', icon === 'two ticks' ? '0 0 17 16' : '0 0 16 16');
  svg.setAttribute('width', icon === 'two ticks' ? '18' : '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  shapes.forEach(function (shape) {
    var node = document.createElementNS(NS, shape[0]);
    Object.keys(shape[1]).forEach(function (name) { node.setAttribute(name, shape[1][name]); });
    svg.appendChild(node);
  });
  return svg;
}
