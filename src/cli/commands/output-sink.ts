/** Where a command writes its output and its errors. */
export interface Output {
  write(text: string): void;
}
