// Buffered output: a dump of a large log is millions of lines, written in
// chunks rather than one write per line.

export interface Sink {
  (text: string): void;
}

export class Output {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly sink: Sink,
    private readonly chunk = 64 * 1024,
  ) {}

  line(text = ''): void {
    this.parts.push(text, '\n');
    this.size += text.length + 1;
    if (this.size >= this.chunk) this.flush();
  }

  text(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.chunk) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.sink(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}
