import { Circle, totalArea } from "./geometry";

const shapes = [new Circle(1), new Circle(2)];
console.log(totalArea(shapes));
