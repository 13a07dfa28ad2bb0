<?php
declare(strict_types=1);

namespace Till\Pos\Test\Unit;

use PHPUnit\Framework\TestCase;
use Till\Pos\Model\DeltaPlan;

final class DeltaPlanTest extends TestCase
{
    public function testDeltasOfOneSourceItemAreAddedUpExactly(): void
    {
        $plan = DeltaPlan::merge('sale:42', [
            ['sku' => '24-MB01', 'source_code' => 'nyc_store', 'delta' => '-0.1'],
            ['sku' => 'MH01-S-Black', 'source_code' => 'nyc_store', 'delta' => '-1'],
            ['sku' => '24-MB01', 'source_code' => 'nyc_store', 'delta' => '-0.2'],
            ['sku' => '24-MB01', 'source_code' => 'nj_warehouse', 'delta' => '3.0000'],
        ]);
        self::assertSame(
            [
                ['sku' => '24-MB01', 'source_code' => 'nyc_store', 'delta' => '-0.3000'],
                ['sku' => 'MH01-S-Black', 'source_code' => 'nyc_store', 'delta' => '-1.0000'],
                ['sku' => '24-MB01', 'source_code' => 'nj_warehouse', 'delta' => '3.0000'],
            ],
            $plan
        );
    }

    /**
     * @dataProvider badQuantities
     */
    public function testAQuantityTheColumnCannotHoldIsRefused(string $value): void
    {
        $this->expectException(\InvalidArgumentException::class);
        DeltaPlan::units($value);
    }

    /**
     * @return array<string, array{0: string}>
     */
    public static function badQuantities(): array
    {
        return [
            'five decimals' => ['1.00001'],
            'not a number' => ['two'],
            'exponent' => ['1e3'],
            'too big' => ['123456789'],
            'empty' => [''],
        ];
    }

    public function testAMovementNeedsAnIdAndEachDeltaASkuAndSource(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        DeltaPlan::merge('', [['sku' => 'a', 'source_code' => 's', 'delta' => '1']]);
    }

    public function testADeltaWithoutASourceIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        DeltaPlan::merge('m', [['sku' => 'a', 'source_code' => '', 'delta' => '1']]);
    }

    public function testQuantitiesRoundTripAndStatusFollowsTheShelf(): void
    {
        self::assertSame('-2.5000', DeltaPlan::format(DeltaPlan::units('-2.5')));
        self::assertSame('0.0001', DeltaPlan::format(DeltaPlan::units('+0.0001')));
        self::assertSame(1, DeltaPlan::statusAfter('0.0001'));
        self::assertSame(0, DeltaPlan::statusAfter('0.0000'));
        self::assertSame(0, DeltaPlan::statusAfter('-3'));
    }
}
