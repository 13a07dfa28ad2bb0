<?php
declare(strict_types=1);

namespace Till\Pos\Test\Unit;

use PHPUnit\Framework\TestCase;
use Till\Pos\Model\ItemLinks;

final class ItemLinksTest extends TestCase
{
    public function testEachParentIsSavedJustBeforeItsChild(): void
    {
        // A bag, then a hoodie sent child first: the hoodie's parent must be saved before it.
        $items = [
            ['quote_item_id' => 1, 'product_type' => 'simple'],
            ['quote_item_id' => 2, 'product_type' => 'simple'],
            ['quote_item_id' => 3, 'product_type' => 'configurable'],
        ];
        $plan = ItemLinks::plan($items, [['child' => 2, 'parent' => 3]]);
        self::assertSame([0, 2, 1], $plan['order']);
        self::assertSame([1 => 2], $plan['parent_of']);
    }

    public function testAnOrderWithoutConfigurablesIsSavedAsSent(): void
    {
        $items = [
            ['quote_item_id' => 1, 'product_type' => 'simple'],
            ['quote_item_id' => 2, 'product_type' => 'virtual'],
        ];
        self::assertSame(['order' => [0, 1], 'parent_of' => []], ItemLinks::plan($items, []));
    }

    /**
     * @dataProvider badLinks
     * @param array<int, array{child: int, parent: int}> $links
     */
    public function testLinksMagentoWouldSaveWronglyAreRefused(array $links, string $message): void
    {
        $items = [
            ['quote_item_id' => 1, 'product_type' => 'configurable'],
            ['quote_item_id' => 2, 'product_type' => 'simple'],
            ['quote_item_id' => 3, 'product_type' => 'simple'],
            ['quote_item_id' => 4, 'product_type' => 'configurable'],
        ];
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage($message);
        ItemLinks::plan($items, $links);
    }

    /**
     * @return array<string, array{0: array<int, array{child: int, parent: int}>, 1: string}>
     */
    public static function badLinks(): array
    {
        $hoodie = ['child' => 2, 'parent' => 1];
        return [
            'unknown item' => [[['child' => 9, 'parent' => 1]], 'names an item the order does not have'],
            'parent not configurable' => [[$hoodie, ['child' => 3, 'parent' => 2]], 'is not configurable'],
            'configurable child' => [[$hoodie, ['child' => 4, 'parent' => 1]], 'is configurable'],
            'two parents' => [[$hoodie, ['child' => 2, 'parent' => 4]], 'has two parents'],
            'two children' => [[$hoodie, ['child' => 3, 'parent' => 1]], 'has two children'],
            'configurable alone' => [[$hoodie], 'Configurable item 4 has no child item'],
        ];
    }

    public function testTheParentKeepsTheChosenVariantAsCheckoutDoes(): void
    {
        $options = ItemLinks::productOptions(
            [['option_id' => '93', 'option_value' => 49], ['option_id' => '144', 'option_value' => '167']],
            2.0,
            'MH01-S-Black',
            'Chaz Kangeroo Hoodie-S-Black'
        );
        self::assertSame(
            [
                'info_buyRequest' => ['qty' => 2.0, 'super_attribute' => ['93' => '49', '144' => '167']],
                'simple_sku' => 'MH01-S-Black',
                'simple_name' => 'Chaz Kangeroo Hoodie-S-Black',
            ],
            $options
        );
    }
}
