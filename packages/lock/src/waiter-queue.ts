/**
 * A FIFO with O(1) removal from the middle, for waiters that time out or abort while others
 * are still queued (an array splice would make a storm of timeouts quadratic).
 */
export interface QueueNode {
  prev?: QueueNode;
  next?: QueueNode;
  queued?: boolean;
}

export class WaiterQueue<T extends QueueNode> {
  private head?: T;
  private tail?: T;
  private count = 0;

  get size(): number {
    return this.count;
  }

  peek(): T | undefined {
    return this.head;
  }

  push(node: T): void {
    node.prev = this.tail;
    node.next = undefined;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    node.queued = true;
    this.count++;
  }

  /** Removes `node` if it is still queued; false when it was already granted or removed. */
  remove(node: T): boolean {
    if (!node.queued) return false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next as T | undefined;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev as T | undefined;
    node.prev = node.next = undefined;
    node.queued = false;
    this.count--;
    return true;
  }

  shift(): T | undefined {
    const node = this.head;
    if (node) this.remove(node);
    return node;
  }
}
