<?php
declare(strict_types=1);

namespace Till\Pos\Model;

/**
 * Which order item goes under which, and the order to save them in. Pure: no Magento classes.
 *
 * `Sales/Model/ResourceModel/Order/Relation::processRelation` saves an order's items in the
 * order of `getItems()`, and `Sales/Model/Order/Item::beforeSave` copies
 * `getParentItem()->getId()` into `parent_item_id`: a parent must be saved before its child.
 */
final class ItemLinks
{
    /**
     * @param array<int, array{quote_item_id: int, product_type: string}> $items by position
     * @param array<int, array{child: int, parent: int}> $links quote item ids
     * @return array{order: int[], parent_of: array<int, int>} positions in save order, and each
     *     child's parent position
     * @throws \InvalidArgumentException naming the first bad link
     */
    public static function plan(array $items, array $links): array
    {
        $position = [];
        foreach ($items as $pos => $item) {
            $id = (int) $item['quote_item_id'];
            if (isset($position[$id])) {
                throw new \InvalidArgumentException(sprintf('Two items have quote item id %d.', $id));
            }
            $position[$id] = $pos;
        }
        $parentOf = [];
        $childOf = [];
        foreach ($links as $link) {
            $child = (int) $link['child'];
            $parent = (int) $link['parent'];
            if (!isset($position[$child], $position[$parent])) {
                throw new \InvalidArgumentException(
                    sprintf('Link %d under %d names an item the order does not have.', $child, $parent)
                );
            }
            if ($child === $parent) {
                throw new \InvalidArgumentException(sprintf('Item %d cannot be its own parent.', $child));
            }
            if ($items[$position[$parent]]['product_type'] !== 'configurable') {
                throw new \InvalidArgumentException(sprintf('Parent item %d is not configurable.', $parent));
            }
            if ($items[$position[$child]]['product_type'] === 'configurable') {
                throw new \InvalidArgumentException(sprintf('Child item %d is configurable.', $child));
            }
            if (isset($parentOf[$position[$child]])) {
                throw new \InvalidArgumentException(sprintf('Item %d has two parents.', $child));
            }
            if (isset($childOf[$position[$parent]])) {
                // A configurable order item stands for exactly one chosen variant.
                throw new \InvalidArgumentException(sprintf('Configurable item %d has two children.', $parent));
            }
            $parentOf[$position[$child]] = $position[$parent];
            $childOf[$position[$parent]] = $position[$child];
        }
        foreach ($items as $pos => $item) {
            if ($item['product_type'] === 'configurable' && !isset($childOf[$pos])) {
                throw new \InvalidArgumentException(
                    sprintf('Configurable item %d has no child item.', (int) $item['quote_item_id'])
                );
            }
        }
        $order = [];
        foreach (array_keys($items) as $pos) {
            if (isset($childOf[$pos])) {
                continue; // placed just before its child
            }
            if (isset($parentOf[$pos])) {
                $order[] = $parentOf[$pos];
            }
            $order[] = $pos;
        }
        return ['order' => $order, 'parent_of' => $parentOf];
    }

    /**
     * A configurable parent row's `product_options`, as `Sales/Model/Order/ItemRepository::save`
     * builds `info_buyRequest` from `product_option` (the repository's order save does not) and
     * as checkout stores the chosen variant (`simple_sku`, `simple_name`).
     *
     * @param array<int, array{option_id: string, option_value: int|string}> $options
     * @return array<string, mixed>
     */
    public static function productOptions(array $options, float $qty, string $childSku, string $childName): array
    {
        $super = [];
        foreach ($options as $option) {
            $super[(string) $option['option_id']] = (string) $option['option_value'];
        }
        return [
            'info_buyRequest' => ['qty' => $qty, 'super_attribute' => $super],
            'simple_sku' => $childSku,
            'simple_name' => $childName,
        ];
    }
}
