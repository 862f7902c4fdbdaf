export interface Shape {
  area(): number;
  name: string;
}

export class Circle implements Shape {
  name = "circle";
  constructor(private radius: number) {}
  area(): number {
    return Math.PI * this.radius ** 2;
  }
}

export function totalArea(shapes: Shape[]): number {
  return shapes.reduce((sum, shape) => sum + shape.area(), 0);
}

export const UNIT = 1;
