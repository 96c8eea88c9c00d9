// Messages per second over the last minute, drawn as an SVG polyline. Counts only live messages: a
// replay of history is not traffic.

const WINDOW_SECONDS = 60;

export class Sparkline {
  constructor(svg, label) {
    this.line = svg.querySelector('polyline');
    this.label = label;
    this.buckets = new Array(WINDOW_SECONDS).fill(0);
    this.current = 0;
    setInterval(() => this.tick(), 1000);
  }

  count() {
    this.current += 1;
  }

  reset() {
    this.buckets.fill(0);
    this.current = 0;
    this.draw();
  }

  tick() {
    this.buckets.shift();
    this.buckets.push(this.current);
    this.current = 0;
    this.draw();
  }

  draw() {
    const max = Math.max(1, ...this.buckets);
    const step = 120 / (WINDOW_SECONDS - 1);
    this.line.setAttribute('points',
      this.buckets.map((n, i) => `${(i * step).toFixed(1)},${(23 - (n / max) * 22).toFixed(1)}`).join(' '));
    this.label.textContent = `${this.buckets[WINDOW_SECONDS - 1]} msg/s`;
  }
}
